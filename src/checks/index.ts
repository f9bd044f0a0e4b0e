export {
  type CheckTaskName,
  CheckThreads,
  type CheckThreadsOptions,
  type HeldCheckThreads,
  holdCheckThreads,
} from "./threads.js";
