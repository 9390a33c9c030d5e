export { createAgoraMcpServer, INSTRUCTIONS, SERVER_NAME, SERVER_VERSION, type AgoraMcpOptions } from './server.ts';
export { agoraTools, describeError } from './tools.ts';
export { routeTool } from './route-tool.ts';
export type { ToolContext, ToolSpec } from './tool.ts';
export { serveAgoraStdio } from './stdio.ts';
export { createAgoraMcpHttp, type McpHttpOptions, type McpRequest } from './http.ts';
