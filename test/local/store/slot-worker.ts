// Runs in a worker thread: takes slots on its own connection to the shared database file.
import { parentPort, workerData } from 'node:worker_threads';
import type { AdmissionPolicy } from '../../../functions/core/admission';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { openDatabase } from '../../../local/store/database';
import { LOCAL_TABLE_SCHEMAS } from '../../../local/store/local-names';
import { LocalSlotStore } from '../../../local/store/local-slot-store';

const { dir, worker, attempts, policy, classes } = workerData as {
  dir: string;
  worker: number;
  attempts: number;
  policy: AdmissionPolicy;
  classes: string[];
};

async function main() {
  const db = openDatabase(dir);
  const slots = new LocalSlotStore(new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS));
  const admitted: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const queryId = `w${worker}-${i}`;
    const result = await slots.acquire(queryId, classes[i % classes.length], policy);
    if (result.admitted) admitted.push(queryId);
  }
  db.close();
  parentPort?.postMessage(admitted);
}

main().catch((error) => {
  parentPort?.postMessage({ error: String(error) });
});
