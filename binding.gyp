{
  "targets": [
    {
      "target_name": "toychain_kernel",
      "sources": ["workers/kernel/native/addon.c", "workers/kernel/native/reference.c", "workers/kernel/native/cpu.c", "workers/kernel/native/ed25519.c"],
      "cflags": ["-O3"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["TOYCHAIN_X86_KERNELS"],
          "dependencies": ["kernel_shani", "kernel_shani_vl", "kernel_avx2", "kernel_avx512"]
        }]
      ]
    },
    {
      "target_name": "kernel_shani",
      "type": "static_library",
      "sources": ["workers/kernel/native/shani.c", "workers/kernel/native/shani4.c"],
      "cflags": ["-O3", "-fPIC", "-msse4.1", "-msha"]
    },
    {
      "target_name": "kernel_shani_vl",
      "type": "static_library",
      "sources": ["workers/kernel/native/shani_vl.c"],
      "cflags": ["-O3", "-fPIC", "-msse4.1", "-msha", "-mavx512f", "-mavx512vl"]
    },
    {
      "target_name": "kernel_avx2",
      "type": "static_library",
      "sources": ["workers/kernel/native/lanes_avx2.c", "workers/kernel/native/lanes_avx2_16.c"],
      "cflags": ["-O3", "-fPIC", "-mavx2", "-Wno-psabi"]
    },
    {
      "target_name": "kernel_avx512",
      "type": "static_library",
      "sources": ["workers/kernel/native/lanes_avx512.c"],
      "cflags": ["-O3", "-fPIC", "-mavx512f"]
    }
  ]
}
