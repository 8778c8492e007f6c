import BerthBase
import CBerthMetadata
import Foundation
import GRDB

/// The metadata database: one SQLite file per root, in WAL mode, shared by every berth
/// process on that root (CLIs, UIs, shims). Every mutation is one IMMEDIATE transaction,
/// so two processes writing at once serialise on SQLite's lock instead of failing with
/// SQLITE_BUSY_SNAPSHOT half-way through a read-then-write.
public final class MetadataStore: Sendable {
    public let path: String
    private let pool: DatabaseQueue
    /// The write-ahead log's length after the last commit, when checkpoints are deferred.
    private let deferredLog: WALLength?

    /// `deferringCheckpoints`: no commit checkpoints the write-ahead log; `checkpointIfLong`
    /// does, for a process that has a moment to spare for it (`berth run` while the shim sets
    /// the task up: the checkpoint's three syncs are off the path a start waits on).
    public init(path: String, deferringCheckpoints: Bool = false) throws(BerthError) {
        self.path = path
        let deferredLog = deferringCheckpoints ? WALLength() : nil
        self.deferredLog = deferredLog
        do {
            // Nearly every open finds the schema current: one read says so, without the file
            // lock and the migrator's write transaction, which would serialise every berth
            // process starting at once.
            var st = stat()
            let exists = stat(path, &st) == 0
            if exists { try Self.restrictToOwner(path, mode: st.st_mode) }
            if exists,
               let current = try? DatabaseQueue(path: path, configuration: Self.configuration(authorizer: false, deferredLog: deferredLog)),
               (try? current.inDatabase(Schema.isCurrent)) == true {
                pool = current
                return
            }
            try FileSystem.makeDirectories(FileSystem.parentDirectory(path), mode: 0o711)
            // Two processes opening a fresh root would both see "no migrations applied" and
            // both create the tables; a file lock makes the second wait and find them.
            let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            defer { if lock >= 0 { close(lock) } }
            if lock >= 0 { while flock(lock, LOCK_EX) != 0 && errno == EINTR {} }
            // SQLite gives the write-ahead log and shared-memory files the database file's mode,
            // so creating it 0600 first keeps all three private.
            let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard file >= 0 else { throw BerthError.system("create", path) }
            close(file)
            pool = try DatabaseQueue(path: path, configuration: Self.configuration(authorizer: true, deferredLog: deferredLog))
            try pool.writeWithoutTransaction { db in
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw BerthError(.unavailable, "metadata database \(path): cannot use write-ahead logging")
                }
            }
            try Schema.migrator.migrate(pool)
        } catch let e as BerthError {
            throw e
        } catch {
            throw BerthError(.unavailable, "open metadata database \(path): \(error)")
        }
    }

    /// A database an older berth left readable by others (0644, and its -wal and -shm with
    /// it) becomes its owner's alone; the side files are only looked at when the database is.
    private static func restrictToOwner(_ path: String, mode: mode_t) throws(BerthError) {
        guard mode & 0o077 != 0 else { return }
        for file in [path, path + "-wal", path + "-shm"] {
            var st = stat()
            if stat(file, &st) == 0 { try FileSystem.restrictToOwner(file, mode: st.st_mode) }
        }
    }

    /// `authorizer: false` for a database whose schema is current: GRDB's statement
    /// authorizer reports every column a statement reads (for value observation, transaction
    /// observers and its schema cache), a Swift callback per column, a large part of a short
    /// run's time. berth observes nothing and changes no schema on a current database,
    /// so that connection goes without it, cleared before its first statement (so none is
    /// invalidated by the change). Migrations run with it.
    private static func configuration(authorizer: Bool, deferredLog: WALLength?) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(30)
        // Enabled below, with the other pragmas: GRDB would run it through its SQL-literal
        // path (`execute(sql:)`), whose first use is costly for a fresh process, and nothing else
        // of berth's uses that path (see `transaction`).
        config.foreignKeysEnabled = false
        config.label = "berth.metadata"
        config.prepareDatabase { db in
            if !authorizer, let handle = db.sqliteConnection { _ = berth_sqlite_clear_authorizer(UnsafeMutableRawPointer(handle)) }
            // Every berth process opens the database anew, and the first connection of a
            // process rebuilds SQLite's WAL index by reading the whole write-ahead log:
            // checkpointing it every 64 pages (SQLite's default is 1000) keeps that read short.
            for pragma in ["PRAGMA foreign_keys = ON", "PRAGMA wal_autocheckpoint = \(checkpointFrames)", "PRAGMA synchronous = NORMAL"] {
                try db.makeStatement(sql: pragma).execute()
            }
            if let deferredLog, let handle = db.sqliteConnection {
                berth_sqlite_defer_checkpoints(UnsafeMutableRawPointer(handle), deferredLog.frames)
            }
        }
        return config
    }

    /// The write-ahead log's length, in pages, at which a commit checkpoints it.
    static let checkpointFrames: Int32 = 64

    /// For a store opened `deferringCheckpoints`: checkpoints the write-ahead log if the last
    /// commit left it as long as a commit would have checkpointed it at. Passive, as SQLite's
    /// own: it copies what no reader still needs and never waits. Whether it did is `true`.
    @discardableResult
    public func checkpointIfLong() -> Bool {
        guard let deferredLog, berth_sqlite_wal_frames(deferredLog.frames) >= Self.checkpointFrames else { return false }
        return (try? pool.inDatabase { db in try db.checkpoint(.passive) }) != nil
    }

    /// The write-ahead log's length as SQLite's commit hook reports it (it outlives the
    /// connection: the connection's configuration holds it).
    final class WALLength: @unchecked Sendable {
        let frames = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        init() { frames.initialize(to: 0) }
        deinit { frames.deallocate() }
        var current: Int32 { berth_sqlite_wal_frames(frames) }
    }

    /// The write-ahead log's length after the last commit of a store opened
    /// `deferringCheckpoints` (nil for others).
    var deferredLogFrames: Int32? { deferredLog?.current }

    /// Runs `body` in one IMMEDIATE write transaction; it commits when `body` returns.
    func writeDatabase<T: Sendable>(_ body: (Database) throws -> T) throws(BerthError) -> T {
        try transaction(.immediate, body)
    }

    /// Runs `body` on a consistent snapshot of the database (one DEFERRED transaction).
    /// GRDB's own `read` also switches `query_only` on and off around it: four statements
    /// instead of two for each of the dozen reads a short command makes.
    func readDatabase<T: Sendable>(_ body: (Database) throws -> T) throws(BerthError) -> T {
        try transaction(.deferred, body)
    }

    /// BEGIN and COMMIT (or ROLLBACK) as cached statements rather than GRDB's `inTransaction`,
    /// which runs them through its SQL-literal path (see `configuration`); GRDB follows the
    /// transaction all the same, from SQLite's autocommit state.
    private func transaction<T>(_ kind: Database.TransactionKind, _ body: (Database) throws -> T) throws(BerthError) -> T {
        do {
            return try pool.inDatabase { db in
                try db.cachedStatement(sql: kind == .immediate ? "BEGIN IMMEDIATE TRANSACTION" : "BEGIN DEFERRED TRANSACTION").execute()
                do {
                    let result = try body(db)
                    try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                    return result
                } catch {
                    // SQLite may have rolled back already (some errors end the transaction).
                    if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
                    throw error
                }
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// Runs `insert`, turning a primary-key violation into `alreadyExists(message)`: an insert
    /// that a duplicate key refuses needs no look-up before it.
    public static func refusingDuplicate(_ message: @autoclosure () -> String, _ insert: () throws -> Void) throws {
        do {
            try insert()
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw BerthError.alreadyExists(message())
        }
    }

    static func map(_ error: any Error) -> BerthError {
        if let e = error as? BerthError { return e }
        if let e = error as? DatabaseError {
            if e.resultCode == .SQLITE_CONSTRAINT {
                return BerthError(.alreadyExists, "metadata constraint failed: \(e.message ?? "")")
            }
            if e.resultCode == .SQLITE_BUSY {
                return BerthError(.unavailable, "metadata database is busy: \(e.message ?? "")")
            }
            return BerthError(.internal, "metadata database: \(e.message ?? e.description)")
        }
        return BerthError(.internal, "metadata database: \(error)")
    }
}

/// Labels are stored as a JSON object in a TEXT column.
public enum LabelsColumn {
    /// Sorted keys, written by hand: JSONSerialization's dynamic casts cost a fresh process
    /// more than the rest of a container record's insert.
    public static func encode(_ labels: Labels) -> String {
        if labels.isEmpty { return "{}" }
        var text = JSONText()
        text.map(labels)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    public static func decode(_ text: String?) -> Labels {
        guard let text, text != "{}",
              let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return [:] }
        return obj
    }
}

/// Timestamps are stored as Unix seconds (REAL).
public extension Date {
    var unixSeconds: Double { timeIntervalSince1970 }
}

extension Database {
    /// `execute(sql:arguments:)` through the connection's statement cache: the statements a
    /// container's start and removal repeat go without GRDB's splitting of the SQL text into
    /// statements and its type look-ups for each call, and one that runs twice is prepared once. The fetches on that path take
    /// the same way (`Row.fetchOne(db.cachedStatement(sql:), arguments:)`): GRDB's fetches by
    /// SQL text build an SQL literal, and that machinery's first use is costly for a fresh
    /// process (bench/HISTORY.md has the figures).
    public func executeCached(sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
