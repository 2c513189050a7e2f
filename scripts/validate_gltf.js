#!/usr/bin/env node
// Validate glb/gltf files with the Khronos glTF-Validator (npm package
// "gltf-validator"; install it with `npm install --no-save gltf-validator`
// in the repository root). Prints one JSON array of
// {file, numErrors, numWarnings, numInfos, numHints, messages} to stdout.
// Exit status: 0 when every file was read and validated (look at the
// counts), 2 when the package is missing, 1 on other failures.
"use strict";
const fs = require("fs");
let validator;
try {
  validator = require("gltf-validator");
} catch (err) {
  process.stderr.write("gltf-validator is not installed: npm install --no-save gltf-validator\n");
  process.exit(2);
}

async function main(files) {
  const out = [];
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const report = await validator.validateBytes(bytes, { uri: file, maxIssues: 200 });
    const issues = report.issues;
    out.push({
      file,
      validatorVersion: report.validatorVersion,
      numErrors: issues.numErrors,
      numWarnings: issues.numWarnings,
      numInfos: issues.numInfos,
      numHints: issues.numHints,
      messages: issues.messages,
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
