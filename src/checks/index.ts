export { type CheckTaskName, CheckThreads, type CheckThreadsOptions } from "./threads.js";
