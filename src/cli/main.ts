// The host-side `tarboot` command: building initramfs images and exercising the unpack pipeline.
const USAGE = `usage: tarboot <command> [options]

commands:
  mkinitramfs   build an initramfs with the tarboot init (tarboot mkinitramfs --help)
  extract       unpack a root tarball (file, - or http(s) URL) into a directory as the init would
  manifest      sign layers for nodes that verify them (tarboot manifest --help)
  check         read kernel parameters as a node would, and ask the servers for its layers
                (tarboot check --help)
  oci-root      print the root= that boots a container image from its OCI image layout
                (tarboot oci-root --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "mkinitramfs":
      return (await import("./mkinitramfs")).mkinitramfsCommand(rest);
    case "extract":
      return (await import("./extract")).extractCli(rest);
    case "manifest":
      return (await import("./manifest")).manifestCommand(rest);
    case "check":
      return (await import("./check")).checkCommand(rest);
    case "oci-root":
      return (await import("./oci-root")).ociRootCommand(rest);
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tarboot: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tarboot: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
