// A non-Java agent: the official TypeScript MCP SDK against Anvil's MCP endpoint.
// Usage: MCP_TOKEN=... node client.mjs http://127.0.0.1:PORT/mcp
// Prints one JSON object on stdout with what it saw; McpTypeScriptClientTest asserts on it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.argv[2]);

async function connect(token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: "anvil-ts-test-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

const seen = {};
try {
  await connect(undefined);
  seen.unauthorized = { code: 0, message: "connected without a token" };
} catch (e) {
  seen.unauthorized = { code: e.code, message: String(e.message) };
}

const client = await connect(process.env.MCP_TOKEN);
seen.server = client.getServerVersion();
seen.tools = (await client.listTools()).tools.map((t) => t.name);
// The SDK checks structuredContent against each tool's declared output schema (ajv).
const search = await client.callTool({ name: "search", arguments: { query: "kernel salary", top_k: 5 } });
seen.search = {
  isError: search.isError ?? false,
  ids: [...new Set(search.structuredContent.chunks.map((c) => c.document_id))].sort(),
  policies: search.structuredContent.chunks.map((c) => c.policies),
  text: search.content[0].text.length > 0,
};
const hidden = await client.callTool({ name: "get_document", arguments: { document_id: "hr-1" } });
seen.hidden = { isError: hidden.isError ?? false, text: hidden.content[0].text };
const invalid = await client.callTool({ name: "search", arguments: { query: "kernel", top_k: 0 } });
seen.invalid = { isError: invalid.isError ?? false, text: invalid.content[0].text };
await client.close();
process.stdout.write(JSON.stringify(seen) + "\n");
