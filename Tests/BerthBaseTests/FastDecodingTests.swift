import BerthBase
import BerthOCI
import Foundation
import Testing

/// The hand decoders `berth run` reads images with must give exactly what JSONDecoder gives,
/// and step aside (nil) for whatever they do not handle the same way.
@Suite struct FastDecodingTests {
    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)

    static let manifests = [
        """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(digestA)","size":1469},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(digestB)","size":3370706,
                    "annotations":{"org.opencontainers.image.title":"layer \\"one\\" \\u00e9\\ud83d\\ude00"}}],
         "annotations":{"a/b":"c\\/d"}, "unknown": [1, 2.5e3, {"x": null}, true, false]}
        """,
        """
        {"schemaVersion": 2, "mediaType": null, "config": {"mediaType": "m", "digest": "\(digestA)", "size": 0,
         "urls": ["http://x"], "platform": {"architecture": "arm64", "os": "linux", "variant": "v8", "os.features": ["f"]}},
         "layers": [], "subject": {"mediaType": "s", "digest": "\(digestB)", "size": 7}, "artifactType": "t"}
        """,
    ]

    static let configs = [
        """
        {"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","author":"me","os.version":"6",
         "config":{"User":"1000:1000","Env":["PATH=/bin","A=\\t"],"Entrypoint":null,"Cmd":["sh","-c","echo \\u0041"],
                   "WorkingDir":"/w","Labels":{"k":"v"},"StopSignal":"SIGTERM","ExposedPorts":{"80/tcp":{}},
                   "Volumes":{"/data":{"ignored":1}}},
         "rootfs":{"type":"layers","diff_ids":["\(digestA)","\(digestB)"]},
         "history":[{"created":"x","created_by":"/bin/sh -c #(nop) ADD","empty_layer":true},{"comment":"c"}]}
        """,
        """
        {"architecture":"arm","variant":"v7","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}
        """,
    ]

    @Test func manifestsAndConfigsMatchJSONDecoder() throws {
        for text in Self.manifests {
            let bytes = Array(text.utf8)
            let fast = try #require(JSONValue.parse(bytes).flatMap(Manifest.init(fast:)), "\(text)")
            #expect(fast == (try JSONDecoder().decode(Manifest.self, from: Data(bytes))))
        }
        for text in Self.configs {
            let bytes = Array(text.utf8)
            let fast = try #require(JSONValue.parse(bytes).flatMap(ImageConfig.init(fast:)), "\(text)")
            #expect(fast == (try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))))
        }
        let index = Array("""
        {"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"\(Self.digestA)","size":5,
         "platform":{"architecture":"amd64","os":"linux"}}]}
        """.utf8)
        #expect(JSONValue.parse(index).flatMap(Index.init(fast:)) == (try JSONDecoder().decode(Index.self, from: Data(index))))
    }

    @Test func stepsAsideForWhatItDoesNotHandle() {
        let config = #"{"mediaType":"m","digest":"\#(Self.digestA)","size":1}"#
        let odd = [
            #"{"schemaVersion":2,"config":\#(config),"layers":null}"#,                        // required null
            #"{"schemaVersion":2.0,"config":\#(config),"layers":[]}"#,                        // fraction
            #"{"schemaVersion":"2","config":\#(config),"layers":[]}"#,                        // wrong type
            #"{"schemaVersion":2,"config":{"mediaType":"m","digest":"sha256:x","size":1},"layers":[]}"#,  // bad digest
            #"{"schemaVersion":2,"config":\#(config),"layers":[],"annotations":{"a":1}}"#,    // non-string label
            #"{"schemaVersion":2,"config":\#(config),"layers":[],"layers":[]}"#,               // repeated key
            #"{"schemaVersion":2,"config":\#(config)}"#,                                        // missing
        ]
        for text in odd {
            #expect(JSONValue.parse(Array(text.utf8)).flatMap(Manifest.init(fast:)) == nil, "\(text)")
        }
        #expect(JSONValue.parse(Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"ExposedPorts":{"80":null}}}"#.utf8))
            .flatMap(ImageConfig.init(fast:)) == nil)
    }

    @Test func parserRejectsInvalidJSON() {
        for text in ["", "{", "[1,]", "{\"a\":}", "\"\\x\"", "\"\\ud83d\"", "01", "1.", "tru", "{\"a\":1}x", "\"a\nb\"",
                     String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            #expect(JSONValue.parse(Array(text.utf8)) == nil, "\(text.debugDescription)")
        }
        #expect(JSONValue.parse([0x22, 0xFF, 0x22]) == nil, "invalid UTF-8")
        #expect(JSONValue.parse(Array(#" {"a" : [ -0.5e-3 , "\u00e9\/" ] } "#.utf8))
            == .object([("a", .array([.number("-0.5e-3"), .string("é/")]))]))
    }
}
