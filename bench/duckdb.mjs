// duckdb.mjs - DuckDB as a bench peer: CSV to NDJSON through @duckdb/node-api.
// SPDX-License-Identifier: BSD-2-Clause
//
// usage: node duckdb.mjs PREFIX --version
//        node duckdb.mjs PREFIX THREADS FILE.csv [OUT]
//        node duckdb.mjs PREFIX THREADS FILE.csv --summarize
//
// PREFIX is the npm prefix that bench/run installed @duckdb/node-api into
// (bench/data/npm: the module is in bench/data/npm/node_modules).  The
// second form runs COPY (SELECT * FROM read_csv(FILE)) TO OUT (FORMAT json)
// with the given number of threads; OUT defaults to /dev/stdout, so the
// shell's redirection decides where the rows go, as for every other
// command that bench/run times.  DuckDB's JSON format writes one object
// per line.  The third form prints SUMMARIZE of the file (the
// dmo-profile case): one row per column, as a table on stdout.

import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [prefix, threads, csv, out = '/dev/stdout'] = process.argv.slice(2);
if (prefix === undefined || threads === undefined ||
    (threads !== '--version' && csv === undefined)) {
	process.stderr.write('usage: node duckdb.mjs PREFIX --version\n' +
	    '       node duckdb.mjs PREFIX THREADS FILE.csv [OUT]\n');
	process.exit(2);
}
let DuckDBInstance;
try {
	const require = createRequire(resolve(prefix) + '/');
	({ DuckDBInstance } = await import(
	    pathToFileURL(require.resolve('@duckdb/node-api')).href));
} catch (e) {
	process.stderr.write(`duckdb.mjs: ${prefix}: cannot load ` +
	    `@duckdb/node-api: ${String(e.message).split('\n')[0]}\n`);
	process.exit(3);
}
const quote = (s) => "'" + s.replaceAll("'", "''") + "'";

if (threads === '--version') {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const r = await con.runAndReadAll('SELECT version()');
	console.log(r.getRows()[0][0]);
} else {
	const db = await DuckDBInstance.create(':memory:', { threads });
	const con = await db.connect();
	// No progress bar: it would draw on stderr while being timed.
	await con.run('SET enable_progress_bar = false');
	if (out === '--summarize') {
		const r = await con.runAndReadAll('SUMMARIZE SELECT * FROM ' +
		    `read_csv(${quote(csv)})`);
		for (const row of r.getRows())
			console.log(row.map(String).join('\t'));
		process.exit(0);
	}
	await con.run(`COPY (SELECT * FROM read_csv(${quote(csv)})) ` +
	    `TO ${quote(out)} (FORMAT json)`);
}
