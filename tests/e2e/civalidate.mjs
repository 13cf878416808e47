// civalidate.mjs KIND FILE [JSON]: validates a CI template against the
// published schema of its format, with validators from npm (installed by
// ci.t into a cache folder). Prints the problems; exit 0 valid, 1 not.
//   github      FILE: the workflow YAML; SchemaStore's github-workflow schema
//               through @action-validator/core (which bundles it)
//   gitlab      JSON: the file as JSON; GitLab's CI schema (the one SchemaStore
//               serves as gitlab-ci) as gitlab-ci-local bundles it, under ajv
//   kubernetes  JSON: the file's documents as a JSON array; each checked by
//               kubernetes-models against the Kubernetes OpenAPI definitions
import fs from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const [kind, file, json] = process.argv.slice(2);
let problems = [];

function gitlabSchema() {
	const src = fs.readFileSync(require.resolve('gitlab-ci-local/package.json').replace(/package\.json$/, 'dist/index.js'), 'utf8');
	const at = src.indexOf('{$schema:"http://json-schema.org/draft-07/schema#",$id:"https://gitlab.com/.gitlab-ci.yml"');
	if (at < 0)
		throw new Error('the GitLab CI schema is not in gitlab-ci-local any more');
	let i = at, depth = 0, quote = null;
	for (; i < src.length; i++) {
		const c = src[i];
		if (quote) {
			if (c === '\\') i++;
			else if (c === quote) quote = null;
			continue;
		}
		if (c === '"' || c === "'" || c === '`') quote = c;
		else if (c === '{' || c === '[') depth++;
		else if ((c === '}' || c === ']') && --depth === 0) break;
	}
	return new Function('return ' + src.slice(at, i + 1))();
}

if (kind === 'github') {
	const av = require('@action-validator/core');
	const st = av.validateWorkflow(fs.readFileSync(file, 'utf8'));
	const flat = (errs) => errs.flatMap((e) => [`${e.path || ''} ${e.title}${e.detail ? ': ' + e.detail : ''}`]
		.concat((e.states || []).flatMap((s) => flat(s.errors))));
	problems = flat(st.errors);
} else if (kind === 'gitlab') {
	const Ajv = require('ajv');
	const ajv = new Ajv({ strict: false, allErrors: true });
	const validate = ajv.compile(gitlabSchema());
	if (!validate(JSON.parse(fs.readFileSync(json, 'utf8'))))
		problems = validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
} else if (kind === 'kubernetes') {
	const docs = JSON.parse(fs.readFileSync(json, 'utf8'));
	for (const d of docs) {
		const group = d.apiVersion;
		let Cls;
		try {
			Cls = require(`kubernetes-models/${group}/${d.kind}`)[d.kind];
		} catch (e) {
			problems.push(`${d.kind} ${group}: no such kind in the Kubernetes OpenAPI definitions`);
			continue;
		}
		try {
			new Cls(d).validate();
		} catch (e) {
			problems.push(`${d.kind} ${d.metadata && d.metadata.name}: ${e.message}`);
		}
	}
} else {
	console.error(`civalidate: unknown kind '${kind}'`);
	process.exit(2);
}
for (const p of problems)
	console.log(`${file}: ${p}`);
process.exit(problems.length ? 1 : 0);
