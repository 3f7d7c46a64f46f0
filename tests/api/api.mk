# API tests against a real anasd
