export { createApp } from "./app.js";
export { MethodNotAllowedError, RouteNotFoundError, UnsupportedMediaTypeError } from "./errors.js";
