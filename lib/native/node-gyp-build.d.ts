// node-gyp-build ships no types; kvm-caps uses only its resolver.
declare module 'node-gyp-build' {
  interface NodeGypBuild {
    (dir: string): unknown;
    /** The .node file load(dir) would require; throws "No native build was found ..." when none fits. */
    resolve(dir: string): string;
  }
  const nodeGypBuild: NodeGypBuild;
  export default nodeGypBuild;
}
