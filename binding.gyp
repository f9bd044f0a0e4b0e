{
  "targets": [
    {
      "target_name": "toychain_kernel",
      "sources": ["workers/kernel/native/search.c"],
      "cflags": ["-O3"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
