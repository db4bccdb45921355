// Deno.serve as Deno apps are written for `deno serve`: a default export with a fetch handler.
// `deno serve --parallel` runs one instance per CPU (DENO_JOBS), sharing the port.
const SERVER = 'deno';

export default {
  fetch(req: Request): Response {
    const { pathname } = new URL(req.url);
    if (pathname === '/json') {
      // A new object serialized per request, as TechEmpower's rules require. Deno adds Date and
      // Content-Length; the Server header is ours.
      return Response.json({ message: 'Hello, World!' }, { headers: { server: SERVER } });
    }
    if (pathname === '/health') return new Response('ok', { headers: { server: SERVER, 'content-type': 'text/plain' } });
    return new Response('not found', { status: 404, headers: { server: SERVER, 'content-type': 'text/plain' } });
  },
} satisfies Deno.ServeDefaultExport;
