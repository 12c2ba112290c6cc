// Stands in for koffi when its native addon cannot be loaded: evaluating any module that uses C fails.
throw new Error("koffi.node: cannot open shared object file: No such file or directory");
