// swift-tools-version:6.1
import PackageDescription

// Generic types instantiated through direct calls to their metadata accessors, with the
// conformances they need passed in, instead of by demangling their names at run time: a fresh
// process pays for every first use of a type (each run of `berth` is one), and the demangling
// searches the protocol conformance records: a measurable part of every `berth run` (bench/HISTORY.md);
// scripts/build passes the same flag to the dependencies' modules, which a manifest cannot.
let fastTypeMetadata: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

// One library target per core service; the CLI and the UI use only BerthCore's public API.
let package = Package(
    name: "berth",
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-shim", targets: ["berth-shim"]),
        .library(name: "BerthCore", targets: ["BerthCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages. No pkg-config: its `-L` for the system library
        // directory would come first on the link line and hide StaticLibraries (see berth below);
        // the headers are in the default include path and the module maps name the libraries.
        .systemLibrary(name: "CArchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CVterm", providers: [.apt(["libvterm-dev"])]),
        .systemLibrary(name: "CIsal", providers: [.apt(["libisal-dev"])]),
        // Small C helpers for what Swift cannot reach directly, each target used by the module
        // named after it; CBerthSys holds the system calls several modules need (openat2,
        // renameat2, signalfd, waiting for a process).
        .target(name: "CBerthSys"),
        .target(name: "CBerthMetadata"),   // SQLite hooks GRDB does not expose
        .target(name: "CBerthMount"),      // the new mount API
        .target(name: "CBerthRuntime"),    // shim sockets, cgroup v2 device programs, superblocks
        .target(name: "CBerthSnapshots"),  // writeback of extracted files
        .target(name: "CBerthTerminal"),   // ptys and terminal modes, for the UI and attach

        // Core services, dependencies pointing down only.
        .target(name: "BerthBase", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: fastTypeMetadata),
        .target(name: "BerthOCI", dependencies: ["BerthBase"], swiftSettings: fastTypeMetadata),
        .target(name: "BerthMetadata", dependencies: [
            "BerthBase", "BerthOCI", "CBerthMetadata",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: fastTypeMetadata),
        .target(name: "BerthEvents", dependencies: ["BerthBase"], swiftSettings: fastTypeMetadata),
        // Mounts as containerd describes them, and mounting them: what snapshotters give and
        // the runtime takes.
        .target(name: "BerthMount", dependencies: ["BerthBase", "CBerthMount"], swiftSettings: fastTypeMetadata),
        .target(name: "BerthContent", dependencies: ["BerthBase", "BerthOCI", "BerthMetadata"], swiftSettings: fastTypeMetadata),
        .target(name: "BerthSnapshots", dependencies: [
            "BerthBase", "BerthMetadata", "BerthMount", "CBerthSys", "CBerthSnapshots", "CArchive", "CIsal",
        ], swiftSettings: fastTypeMetadata),
        .target(name: "BerthImages", dependencies: [
            "BerthBase", "BerthOCI", "BerthMetadata", "BerthContent", "BerthSnapshots", "BerthEvents", "CArchive",
        ], swiftSettings: fastTypeMetadata),
        .target(name: "BerthRuntime", dependencies: [
            "BerthBase", "BerthOCI", "BerthMetadata", "BerthMount", "BerthEvents", "CBerthSys", "CBerthRuntime",
        ], swiftSettings: fastTypeMetadata),
        .target(name: "BerthCore", dependencies: [
            "BerthBase", "BerthOCI", "BerthMetadata", "BerthEvents", "BerthContent", "BerthMount", "BerthSnapshots",
            "BerthImages", "BerthRuntime",
        ], swiftSettings: fastTypeMetadata),

        // Front ends.
        .target(name: "BerthUI", dependencies: ["BerthCore", "CNcurses", "CVterm", "CBerthSys", "CBerthTerminal"], swiftSettings: fastTypeMetadata),
        .executableTarget(name: "berth", dependencies: [
            "BerthCore", "BerthUI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["StaticLibraries"], swiftSettings: fastTypeMetadata, linkerSettings: [
            // The Swift runtime and Foundation linked in: no dynamic loading and symbol binding
            // of a dozen Swift libraries at every start (see bench/README.md, lifecycle).
            .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
            // libarchive (and its compressors), SQLite, ncurses, libvterm and libstdc++ linked in
            // too: loading and binding them was the largest part of every start, libarchive's dependency
            // chain (ICU, libxml2) most of it. StaticLibraries holds one linker script per library,
            // found before the shared library on the search path, that names the static archive.
            .unsafeFlags(["-L", Context.packageDirectory + "/Sources/berth/StaticLibraries"], .when(configuration: .release)),
            .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release)),
            // No dynamic symbol table of every Swift symbol: the runtime's start-up dladdr (it
            // looks for its backtracer) scans it linearly at every start.
            .unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(configuration: .release)),
            .unsafeFlags(["-Xlinker", "--start-group", "-lFoundation", "-lFoundationEssentials", "-lFoundationInternationalization",
                          "-lCoreFoundation", "-l_FoundationCollections", "-l_FoundationCShims", "-l_FoundationICU",
                          "-lswiftSynchronization", "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime",
                          "-Xlinker", "--end-group"], .when(configuration: .release)),
        ]),
        // The per-task supervisor and container init: C, so nothing runs between fork and exec
        // but async-signal-safe code, and its resident size stays small.
        // Linked statically and without Swift's start-up object: the shim loads no Swift runtime
        // or shared libraries, which keeps it small (and its sealed memfd copy too).
        .executableTarget(name: "berth-shim", linkerSettings: [
            .linkedLibrary("seccomp"), .linkedLibrary("cap"),
            .unsafeFlags(["-nostartfiles", "-static-executable", "-Xlinker", "--strip-all"]),
        ]),

        // Unit tests beside their modules; kernel and outside-tool tests in BerthIntegrationTests.
        .target(name: "BerthTestSupport", dependencies: ["BerthCore"], path: "Tests/BerthTestSupport"),
        .testTarget(name: "BerthBaseTests", dependencies: ["BerthBase", "BerthOCI"]),
        .testTarget(name: "BerthMetadataTests", dependencies: [
            "BerthMetadata", "BerthTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BerthEventsTests", dependencies: ["BerthEvents"]),
        .testTarget(name: "BerthContentTests", dependencies: ["BerthContent", "BerthTestSupport"]),
        .testTarget(name: "BerthImagesTests", dependencies: ["BerthImages", "BerthCore", "BerthTestSupport"]),
        .testTarget(name: "BerthSnapshotsTests", dependencies: ["BerthSnapshots", "BerthCore", "BerthTestSupport"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthRuntime", "BerthCore", "BerthTestSupport"]),
        .testTarget(name: "BerthUITests", dependencies: ["BerthUI", "BerthTestSupport"]),
        .testTarget(name: "BerthCLITests", dependencies: ["berth"]),
        // The fixture script is run by path (#filePath), not bundled.
        .testTarget(name: "BerthIntegrationTests", dependencies: ["BerthCore", "BerthUI", "BerthTestSupport"],
                    exclude: ["SnapshotsFixture.sh"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (Fuzz/), only in the manifest when scripts/fuzz builds them: with the fuzzer
// sanitizer, into their own scratch path, so the normal build and tests never compile them.
if Context.environment["BERTH_FUZZ"] == "1" {
    // CBerthSys calls SQLite, which GRDB links in elsewhere.
    package.targets.append(.target(name: "BerthFuzzSupport", dependencies: ["BerthBase"], path: "Fuzz/Support",
                                   linkerSettings: [.linkedLibrary("sqlite3")]))
    for (name, modules) in [("layer", ["BerthSnapshots"]), ("archive", ["BerthCore", "BerthImages"]), ("oci-json", ["BerthOCI"]),
                            ("reference", ["BerthOCI"]), ("theme", ["BerthUI"])] as [(String, [Target.Dependency])] {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: ["BerthFuzzSupport", "BerthBase"] + modules,
                                                 path: "Fuzz/\(name)"))
    }
}
