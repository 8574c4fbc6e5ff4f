// Parses an issue body the way GitHub's own @github/issue-parser does, for the parity test
// in tests/test_intake.py.
//
//   node parse.mjs TEMPLATE.yml BODY.md     (BODY may be "-" for standard input)
//
// Prints the parsed answers, keyed by field id, as one line of JSON.
import { readFileSync } from 'node:fs'
import { parseIssue } from '@github/issue-parser'

const [templatePath, bodyPath] = process.argv.slice(2)
if (!templatePath || !bodyPath) {
  process.stderr.write('usage: node parse.mjs TEMPLATE.yml BODY.md\n')
  process.exit(2)
}
const template = readFileSync(templatePath, 'utf8')
const body = readFileSync(bodyPath === '-' ? 0 : bodyPath, 'utf8')
process.stdout.write(JSON.stringify(parseIssue(body, template)) + '\n')
