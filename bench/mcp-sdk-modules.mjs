// The MCP SDK modules dual-auth/mcp imports (src/mcp/): imported alone, they give the
// share of dual-auth/mcp's import time that belongs to the peer it wraps (bench/startup.ts).
import '@modelcontextprotocol/sdk/client/streamableHttp.js';
import '@modelcontextprotocol/sdk/server/auth/errors.js';
import '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
