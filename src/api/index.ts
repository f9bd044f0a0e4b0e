export { createApp } from "./app.js";
export { MethodNotAllowedError, RouteNotFoundError, UnsupportedMediaTypeError } from "./errors.js";
export { InFlight, type OpenRequest } from "./in-flight.js";
