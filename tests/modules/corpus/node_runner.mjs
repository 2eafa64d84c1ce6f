// Runs every case of cases.json in Node and prints {case_id: {value} | {error}} as JSON, `value`
// being JSON.stringify of what the case returned: the expected results of the package corpus.
// Usage: node --experimental-require-module node_runner.mjs <cases.json> <node_modules folder>
//
// Each case becomes a module file of its own beside that node_modules folder (in a folder of
// this process's own, so runs at once do not collide): `require`, `import()` and import
// declarations resolve there as in a project using the packages, and one broken case cannot
// stop the others.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [casesPath, modulesPath] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const folder = join(dirname(resolve(modulesPath)), `.corpus-cases-${process.pid}`);
rmSync(folder, { recursive: true, force: true });
mkdirSync(folder, { recursive: true });

// Leading `import ... from '...';` declarations (node_form "import") must stay at module level.
const LEADING_IMPORTS = /^(\s*import\s[^;]*;)+/;

// The ids test_package_corpus.py gives too: package-1, package-2, ... in file order.
function caseIds(list) {
  const seen = {};
  return list.map((c) => {
    seen[c.package] = (seen[c.package] || 0) + 1;
    return `${c.package}-${seen[c.package]}`;
  });
}

const ids = caseIds(cases);
const out = {};
try {
  for (const [index, c] of cases.entries()) {
    const id = ids[index];
    const head = c.node_form === "import" ? (c.code.match(LEADING_IMPORTS) || [""])[0] : "";
    const body = c.code.slice(head.length);
    const file = join(folder, `case-${index}.mjs`);
    writeFileSync(
      file,
      `import { createRequire } from "node:module";\n${head}\n` +
        `const require = createRequire(${JSON.stringify(resolve(modulesPath) + "/")});\n` +
        `export default async function () {\n${body}\n}\n`,
    );
    try {
      const run = (await import(pathToFileURL(file).href)).default;
      const result = await run();
      // As the sandbox side does: undefined is reported as null.
      out[id] = { value: JSON.stringify(result === undefined ? null : result) };
    } catch (error) {
      out[id] = { error: String(error && error.stack ? error.stack.split("\n")[0] : error) };
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out));
