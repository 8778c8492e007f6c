@testable import BerthEvents
import Foundation
import Testing

@Suite struct EventLineTests {
    static let samples: [Event] = [
        Event(timestamp: Date(timeIntervalSince1970: 1_795_930_767.9), namespace: "default", topic: "/tasks/exit",
              attributes: ["id": "c1", "exitStatus": "137"]),
        Event(timestamp: Date(timeIntervalSince1970: 0), namespace: "ns", topic: "/containers/create", attributes: [:]),
        Event(timestamp: Date(timeIntervalSince1970: 4_102_444_799), namespace: "weird", topic: "/images/create",
              attributes: ["name": "quote\" back\\slash\nnew\tline\u{01}\u{1f} é ✓ /x", "": "empty key"]),
    ]

    @Test func decodesToTheSameEventAsJSONEncoderWrites() throws {
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .iso8601
        let enc = JSONEncoder()
        enc.dateEncodingStrategy = .iso8601
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for e in Self.samples {
            let line = EventLine.encode(e)
            let back = try dec.decode(Event.self, from: Data(line))
            var expected = e
            expected.timestamp = Date(timeIntervalSince1970: e.timestamp.timeIntervalSince1970.rounded(.down))
            #expect(back == expected)
            // Byte for byte what Foundation writes (slashes unescaped), so readers of the
            // journal see no difference.
            #expect(String(decoding: line, as: UTF8.self) == String(decoding: try enc.encode(expected), as: UTF8.self))
        }
    }

    @Test func timestampsAreUTCWholeSeconds() {
        #expect(EventLine.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(EventLine.iso8601(1_795_930_767.9) == "2026-11-29T05:39:27Z")
        #expect(EventLine.iso8601(4_102_444_799) == "2099-12-31T23:59:59Z")
    }

    @Test func journalRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-events-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = EventJournal(directory: dir)
        for e in Self.samples { j.publish(e) }
        let read = j.readAll()
        #expect(read.map(\.topic) == Self.samples.map(\.topic))
        #expect(read.map(\.attributes) == Self.samples.map(\.attributes))
    }
}
