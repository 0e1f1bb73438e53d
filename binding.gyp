{
  "targets": [
    {
      "target_name": "kvm_caps",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/device_handle.cc",
        "native/kvm_ioctl.cc",
        "native/sev_ioctl.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fvisibility=hidden",
        "-fstack-protector-strong"
      ]
    }
  ]
}
