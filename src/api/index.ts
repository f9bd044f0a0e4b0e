export { createApp } from "./app.js";
export { loadDocsAssets } from "./docs.js";
export { DocsNotBuiltError, MethodNotAllowedError, RouteNotFoundError, UnsupportedMediaTypeError } from "./errors.js";
export { loadExplorerAssets } from "./explorer.js";
export { InFlight, type OpenRequest } from "./in-flight.js";
