import { spawnGateway, runExport } from '../test/stream/export.ts';
import { writeStreamConfig, KEYS } from '../test/stream/fixture.ts';
const gw = await spawnGateway(writeStreamConfig({ engines: ['postgres'] }), {}, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']);
const r = await runExport(gw, (process.env.K ?? 'csv') as 'csv', KEYS.a, 1_000_000);
console.log(r.seconds);
gw.child.kill('SIGINT');
await new Promise((res) => gw.child.once('exit', res));
