{
  "variables": {
    # -Werror only where the compiler is known: development and CI builds set
    # KVM_CAPS_WERROR=1 (package.json's build scripts, .ci/run); an install on a user's
    # machine, with whatever newer compiler it has, gets the warnings without failing.
    "kvm_caps_werror%": "<!(node -p \"process.env.KVM_CAPS_WERROR === '1' ? 1 : 0\")"
  },
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
        "-fvisibility=hidden",
        "-fstack-protector-strong"
      ],
      "conditions": [
        ["kvm_caps_werror==1", { "cflags_cc": ["-Werror"] }]
      ]
    }
  ]
}
