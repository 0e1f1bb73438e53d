// The worker thread of helpers/cli.ts, plain JavaScript because a worker does not inherit
// the main thread's module hooks: it registers tsx, loads cli-worker.ts, and answers each
// request with cli-worker.ts's serve(). A load failure is the answer to every request.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const loaded = import('./cli-worker.ts');
loaded.catch(() => {}); // reported to each request below

parentPort.on('message', async (request) => {
  try {
    await (await loaded).serve(request);
  } catch (error) {
    request.port.postMessage({
      status: null,
      stdout: '',
      stderr: `cannot run main() in a worker: ${error?.stack ?? error}`,
    });
    Atomics.store(request.signal, 0, 1);
    Atomics.notify(request.signal, 0);
  }
});
