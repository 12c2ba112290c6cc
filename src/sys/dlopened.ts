// Libraries the init opens by name at run time (koffi.load), which no ELF header lists: the
// initramfs builder adds them and their dependencies as if the init needed them.
export const LIBZSTD = "libzstd.so.1";
export const LIBLZMA = "liblzma.so.5";
export const LIBBZ2 = "libbz2.so.1.0";
export const DLOPENED_LIBRARIES: readonly string[] = [LIBZSTD, LIBLZMA, LIBBZ2];
