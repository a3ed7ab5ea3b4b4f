// The start-up baseline: the same runtime (plain node, as `npm start` runs Lookout's build)
// answering HTTP with nothing behind it.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"data":{"attentionSessions":{"edges":[]}}}');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening at http://127.0.0.1:${server.address().port}/graphql`);
});
