// The addon's request functions as the tests expect them: one per allowed read-only request, plus the
// handle's own close/isClosed. A request added to native/ must be added here, on purpose.
export const REQUEST_FUNCTIONS: readonly string[] = [
  'apiVersion',
  'checkExtension',
  'checkExtensions',
  'close',
  'createVm',
  'emulatedCpuid',
  'getDeviceAttr',
  'getMsrs',
  'hasDeviceAttr',
  'isClosed',
  'msrFeatureIndexList',
  'msrIndexList',
  'sevGetId2',
  'sevInit2',
  'sevPlatformStatus',
  'snpPlatformStatus',
  'supportedCpuid',
  'tdxCapabilities',
  'tdxInitVm',
  'vcpuMmapSize',
];
