// Where the pairing lives: IndexedDB, because only it can hold non-extractable CryptoKeys.
// Record: {clientId, macKey, encKey, origin, port, clientName, pairedAt, scope}.
const DB = "otpc";
const STORE = "pairing";
const KEY = "current";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

let cached;

export async function loadPairing() {
  if (cached === undefined) cached = (await run("readonly", (s) => s.get(KEY))) ?? null;
  return cached;
}

export async function savePairing(record) {
  await run("readwrite", (s) => s.put(record, KEY));
  cached = record;
}

export async function clearPairing() {
  await run("readwrite", (s) => s.delete(KEY));
  cached = null;
}
