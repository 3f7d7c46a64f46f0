# prom-check.awk - a strict reader of the Prometheus text exposition format
# 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/), for
# the API tests: POSIX awk, no extensions (mawk runs it).
#
#     awk -f tests/api/prom-check.awk metrics.txt && echo valid
#
# Prints one line per problem ("line N: ...") and exits 1 when there is any.
# Beyond the grammar (metric and label names, quoted and escaped label
# values, Go float values, optional integer timestamps) it checks what a
# scraper relies on and what anasd promises:
#   - every family has one HELP and one TYPE, both before its samples;
#   - a family's samples are contiguous and belong to it (a histogram's are
#     _bucket, _sum and _count; a counter's name ends in _total);
#   - no series (name and label set) appears twice, no label twice in one;
#   - counters and histogram counts are not negative;
#   - each histogram series has buckets with increasing `le`, cumulative
#     (non-decreasing) counts, a "+Inf" bucket equal to _count, and a _sum.

function problem(msg) {
    printf "line %d: %s\n", NR, msg
    bad = 1
}

function is_name(s) {
    return s ~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
}

function is_label_name(s) {
    return s ~ /^[a-zA-Z_][a-zA-Z0-9_]*$/
}

# Go's ParseFloat as Prometheus uses it: decimal or exponent notation, and
# the special values.
function is_value(s) {
    if (s == "NaN" || s == "+Inf" || s == "-Inf" || s == "Inf")
        return 1
    return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
}

function le_number(s) {
    if (s == "+Inf" || s == "Inf")
        return "inf"
    return s + 0
}

# Parses "{a="x",b="y"}" at the start of s into L_name[], L_value[], L_n;
# returns the length consumed, or -1 on a syntax error.
function parse_labels(s,    i, c, n, name, val, esc) {
    L_n = 0
    if (substr(s, 1, 1) != "{")
        return 0
    i = 2
    n = length(s)
    while (1) {
        while (substr(s, i, 1) == " ") i++
        if (substr(s, i, 1) == "}")
            return i
        name = ""
        while (i <= n && substr(s, i, 1) ~ /[a-zA-Z0-9_]/) {
            name = name substr(s, i, 1)
            i++
        }
        if (!is_label_name(name)) { problem("bad label name '" name "'"); return -1 }
        while (substr(s, i, 1) == " ") i++
        if (substr(s, i, 1) != "=") { problem("'=' expected after label " name); return -1 }
        i++
        while (substr(s, i, 1) == " ") i++
        if (substr(s, i, 1) != "\"") { problem("'\"' expected for label " name); return -1 }
        i++
        val = ""
        while (1) {
            if (i > n) { problem("unterminated value of label " name); return -1 }
            c = substr(s, i, 1)
            if (c == "\"")
                break
            if (c == "\\") {
                esc = substr(s, i + 1, 1)
                if (esc != "\\" && esc != "\"" && esc != "n") {
                    problem("bad escape \\" esc " in label " name)
                    return -1
                }
                val = val c esc
                i += 2
                continue
            }
            val = val c
            i++
        }
        i++
        L_n++
        L_name[L_n] = name
        L_value[L_n] = val
        while (substr(s, i, 1) == " ") i++
        c = substr(s, i, 1)
        if (c == ",") { i++; continue }
        if (c == "}") return i
        problem("',' or '}' expected after label " name)
        return -1
    }
}

# The label set without `le` (the histogram series a bucket belongs to),
# and the full set, both sorted so that order does not make a new series.
function label_keys(    i, j, t, names, full, base) {
    for (i = 1; i <= L_n; i++) names[i] = L_name[i] "\001" L_value[i]
    for (i = 2; i <= L_n; i++)
        for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
            t = names[j]; names[j] = names[j - 1]; names[j - 1] = t
        }
    full = ""
    base = ""
    LE = ""
    for (i = 1; i <= L_n; i++) {
        if (i > 1 && substr(names[i], 1, index(names[i], "\001")) == \
            substr(names[i - 1], 1, index(names[i - 1], "\001")))
            problem("label " substr(names[i], 1, index(names[i], "\001") - 1) " twice")
        full = full "\002" names[i]
        if (substr(names[i], 1, 3) == "le\001")
            LE = substr(names[i], 4)
        else
            base = base "\002" names[i]
    }
    FULL_KEY = full
    BASE_KEY = base
}

# A family's TYPE, "" when none was given (without creating the entry, as
# a plain reference to type_of[name] would).
function type_named(name) {
    return (name in type_of) ? type_of[name] : ""
}

# The family a sample name belongs to, given the TYPEs seen.
function family_of(name,    base) {
    if (type_named(name) != "" && type_named(name) != "histogram" && type_named(name) != "summary")
        return name
    if (name ~ /_bucket$/) {
        base = substr(name, 1, length(name) - 7)
        if (type_named(base) == "histogram") return base
    }
    if (name ~ /_sum$/ || name ~ /_count$/) {
        base = name
        sub(/_(sum|count)$/, "", base)
        if (type_named(base) == "histogram" || type_named(base) == "summary") return base
    }
    return name
}

function comment(line,    parts, n, kind, name, rest) {
    n = split(line, parts, " ")
    kind = parts[2]
    if (kind != "HELP" && kind != "TYPE")
        return
    name = parts[3]
    if (n < 3 || !is_name(name)) { problem(kind " without a valid metric name"); return }
    if (name in seen_samples) problem(kind " for " name " after its samples")
    if (kind == "HELP") {
        if (name in help_of) problem("second HELP for " name)
        rest = line
        sub(/^#[ \t]+HELP[ \t]+[^ \t]+[ \t]?/, "", rest)
        if (rest ~ /\\[^\\n]/ || rest ~ /\\$/) problem("bad escape in HELP of " name)
        help_of[name] = rest
        return
    }
    if (name in type_of) problem("second TYPE for " name)
    if (n != 4) { problem("TYPE " name " needs exactly one type"); return }
    if (parts[4] !~ /^(counter|gauge|histogram|summary|untyped)$/)
        problem("unknown type '" parts[4] "' for " name)
    if (parts[4] == "counter" && name !~ /_total$/)
        problem("counter " name " does not end in _total")
    type_of[name] = parts[4]
}

function sample(line,    name, rest, used, fields, n, fam, value, i) {
    match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)
    if (RSTART != 1) { problem("sample without a valid metric name"); return }
    name = substr(line, 1, RLENGTH)
    rest = substr(line, RLENGTH + 1)
    used = parse_labels(rest)
    if (used < 0) return
    rest = substr(rest, used + 1)
    if (rest !~ /^[ \t]/) { problem("blank expected before the value of " name); return }
    sub(/^[ \t]+/, "", rest)
    sub(/[ \t]+$/, "", rest)
    n = split(rest, fields, /[ \t]+/)
    if (n < 1 || n > 2) { problem("value (and optional timestamp) expected for " name); return }
    value = fields[1]
    if (!is_value(value)) problem("bad value '" value "' for " name)
    if (n == 2 && fields[2] !~ /^-?[0-9]+$/) problem("bad timestamp '" fields[2] "' for " name)

    fam = family_of(name)
    if (!(fam in type_of)) problem("sample " name " before a TYPE for " fam)
    if (!(fam in help_of)) problem("sample " name " before a HELP for " fam)
    if (fam != current) {
        if (fam in closed) problem("samples of " fam " are not contiguous")
        if (current != "") closed[current] = 1
        current = fam
    }
    seen_samples[fam] = 1
    seen_samples[name] = 1
    label_keys()
    if ((name FULL_KEY) in series) problem("duplicate series " name)
    series[name FULL_KEY] = 1

    if ((type_named(fam) == "counter" || (type_named(fam) == "histogram" && name != fam "_sum")) &&
        (value ~ /^-/ || value == "NaN"))
        problem("negative or NaN count for " name)
    if (type_named(fam) == "histogram")
        histogram(fam, name, value)
}

function histogram(fam, name, value,    k) {
    k = fam BASE_KEY
    hseries[k] = fam
    if (name == fam "_bucket") {
        if (LE == "") { problem(name " without an le label"); return }
        if (!is_value(LE)) { problem("bad le '" LE "' in " name); return }
        if (k in last_le) {
            if (last_le[k] == "inf" || (le_number(LE) != "inf" && le_number(LE) <= last_le[k]))
                problem("le " LE " of " fam " not increasing")
            if (value + 0 < last_count[k] + 0)
                problem("bucket le=" LE " of " fam " below the previous one (not cumulative)")
        }
        last_le[k] = le_number(LE)
        last_count[k] = value
        if (le_number(LE) == "inf") inf_count[k] = value
        return
    }
    if (LE != "") problem(name " has an le label")
    if (name == fam "_count") count_of[k] = value
    if (name == fam "_sum") sum_seen[k] = 1
}

BEGIN { bad = 0; current = "" }

{ sub(/\r$/, "") }
/^[ \t]*$/ { next }
/^#/ { comment($0); next }
{ sample($0) }

END {
    for (k in hseries) {
        if (!(k in inf_count)) { printf "histogram %s: no +Inf bucket\n", hseries[k]; bad = 1 }
        else if (!(k in count_of)) { printf "histogram %s: no _count\n", hseries[k]; bad = 1 }
        else if (inf_count[k] + 0 != count_of[k] + 0) {
            printf "histogram %s: +Inf bucket %s != _count %s\n", hseries[k], inf_count[k], count_of[k]
            bad = 1
        }
        if (!(k in sum_seen)) { printf "histogram %s: no _sum\n", hseries[k]; bad = 1 }
    }
    for (name in type_of)
        if (!(name in help_of)) { printf "%s: TYPE without HELP\n", name; bad = 1 }
    for (name in help_of)
        if (!(name in type_of)) { printf "%s: HELP without TYPE\n", name; bad = 1 }
    exit bad
}
