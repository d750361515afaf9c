// Labels kept in the browser's IndexedDB until the selector acknowledges them:
// drafts (what is being drawn, saved after each stroke) and submits waiting
// for the network. A submit that fails for the network is tried again.

import type { LabelValues } from "./api";
import type { SavedClasses } from "./classes";

export interface StoredLabel {
  key: string;
  kind: "draft" | "submit";
  sample_id: number;
  project: string;
  annotator: string;
  origin: string;
  shape: number[];
  data: LabelValues;  // the smallest type that holds the largest id
  classes?: SavedClasses;  // a project with classes: each object's and the image's
  created: number;
  attempts: number;
}

const DB = "labelassist";
const STORE = "labels";

function opened(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await opened();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const labelStore = {
  put: (item: StoredLabel) => transact("readwrite", (s) => s.put(item)),
  remove: (key: string) => transact("readwrite", (s) => s.delete(key)),
  get: (key: string) => transact<StoredLabel | undefined>("readonly", (s) => s.get(key)),
  all: () => transact<StoredLabel[]>("readonly", (s) => s.getAll()),
};

export const draftKey = (sampleId: number) => `draft:${sampleId}`;

export async function submits(): Promise<StoredLabel[]> {
  return (await labelStore.all()).filter((item) => item.kind === "submit").sort((a, b) => a.created - b.created);
}
