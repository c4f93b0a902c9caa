// The floor's child: parses the event, runs the echo handler, sends the answer back over IPC (what a runtime must do at least).
const handler = async (e) => e;
process.on('message', async (m) => {
  const out = await handler(JSON.parse(m.body));
  process.send({ id: m.id, body: JSON.stringify(out) });
});
