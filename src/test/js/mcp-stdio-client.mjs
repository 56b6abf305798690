// An agent's MCP client as a third party wrote it: the reference TypeScript SDK
// (@modelcontextprotocol/sdk) spawns the server over stdio, initializes, lists the tools and
// calls some.
//
// Usage: node mcp-stdio-client.mjs <npm-prefix> <config.json>
// config: {"command": "...", "args": [...], "env": {...}, "calls": [{"name": "...", "arguments": {...}}]}
// stdout: one JSON object {"server": {name, version}, "capabilities": {...}, "tools": [...],
//         "results": [<CallToolResult or {"protocolError": message}>]}
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [prefix, configFile] = process.argv.slice(2);
if (!prefix || !configFile) {
  console.error('usage: node mcp-stdio-client.mjs <npm-prefix> <config.json>');
  process.exit(2);
}
const sdk = (p) => pathToFileURL(path.join(path.resolve(prefix), 'node_modules', '@modelcontextprotocol', 'sdk', 'dist',
  'esm', p)).href;
const { Client } = await import(sdk('client/index.js'));
const { StdioClientTransport, getDefaultEnvironment } = await import(sdk('client/stdio.js'));

const config = JSON.parse(readFileSync(configFile, 'utf8'));
const transport = new StdioClientTransport({
  command: config.command,
  args: config.args,
  env: { ...getDefaultEnvironment(), ...(config.env ?? {}) },
  stderr: 'inherit',
});
const client = new Client({ name: 'gatehouse-it', version: '1.0.0' });
await client.connect(transport);
const out = {
  server: client.getServerVersion(),
  capabilities: client.getServerCapabilities(),
  tools: (await client.listTools()).tools,
  results: [],
};
for (const c of config.calls ?? []) {
  try {
    out.results.push(await client.callTool({ name: c.name, arguments: c.arguments ?? {} }));
  } catch (e) {
    out.results.push({ protocolError: String(e.message ?? e) });
  }
}
await client.close();
process.stdout.write(JSON.stringify(out) + '\n');
