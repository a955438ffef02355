// Loads the extension's classic content scripts into a fresh node context (no DOM needed for the
// pure parts) and gives the test the namespaces they publish.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const EXTENSION = fileURLToPath(new URL("../../../extension/", import.meta.url));

export function loadDetect() {
  const context = vm.createContext({});
  vm.runInContext(readFileSync(`${EXTENSION}content/detect.js`, "utf8"), context);
  return context.OTPC_DETECT;
}
