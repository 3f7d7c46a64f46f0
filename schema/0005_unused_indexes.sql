-- 0005_unused_indexes.sql - the indexes on architectures' sizes go.
--
-- 0001 indexed params, macs and tiles so that size queries would not parse
-- JSON row by row; no query of anasd's ever came to use them (it reads an
-- architecture by its hash only, and sorts evaluations by their own
-- metrics). Every architecture stored still paid for them: a row's sizes
-- are random keys, so each of the three indexes changed a leaf page of its
-- own for every row, about half of the pages a batch of search results
-- wrote to the write-ahead log (doc/performance.md, "The store's write
-- path"). The columns stay, filled as before; an index that a query needs
-- comes back with that query.

DROP INDEX architectures_params;
DROP INDEX architectures_macs;
DROP INDEX architectures_tiles;
