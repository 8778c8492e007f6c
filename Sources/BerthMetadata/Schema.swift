import BerthOCI
import GRDB

/// Versioned schema. Append new migrations at the end; never edit a released one.
enum Schema {
    /// The migrations' identifiers, in the order `migrator` registers them (a test checks).
    static let identifiers = ["v1", "v2"]

    /// Whether every migration has run: one query, without building the migrator, whose own
    /// check reads the identifiers into a set (a fresh process pays for that type's first use).
    static func isCurrent(_ db: Database) throws -> Bool {
        let applied = try String.fetchAll(db.cachedStatement(sql: "SELECT identifier FROM grdb_migrations"))
        return identifiers.allSatisfy(applied.contains)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
            CREATE TABLE namespaces (
                name TEXT PRIMARY KEY NOT NULL,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL
            );
            -- Blobs are shared on disk; this records which namespace may see which blob.
            CREATE TABLE content (
                namespace TEXT NOT NULL REFERENCES namespaces(name),
                digest TEXT NOT NULL,
                size INTEGER NOT NULL,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (namespace, digest)
            );
            CREATE INDEX content_by_digest ON content(digest);
            CREATE TABLE images (
                namespace TEXT NOT NULL REFERENCES namespaces(name),
                name TEXT NOT NULL,
                media_type TEXT NOT NULL,
                digest TEXT NOT NULL,
                size INTEGER NOT NULL,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (namespace, name)
            );
            CREATE TABLE leases (
                namespace TEXT NOT NULL REFERENCES namespaces(name),
                id TEXT NOT NULL,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                PRIMARY KEY (namespace, id)
            );
            -- kind: 'content' (resource = digest), 'snapshots/<snapshotter>' (resource = key),
            -- 'ingests' (resource = ingest ref).
            CREATE TABLE lease_resources (
                namespace TEXT NOT NULL,
                lease TEXT NOT NULL,
                kind TEXT NOT NULL,
                resource TEXT NOT NULL,
                PRIMARY KEY (namespace, lease, kind, resource),
                FOREIGN KEY (namespace, lease) REFERENCES leases(namespace, id) ON DELETE CASCADE
            );
            -- Snapshot records of every snapshotter. backend_id names the directory on disk
            -- (<root>/snapshots/<snapshotter>/<backend_id>), short so overlay options stay short.
            CREATE TABLE snapshots (
                namespace TEXT NOT NULL REFERENCES namespaces(name),
                snapshotter TEXT NOT NULL,
                key TEXT NOT NULL,
                backend_id INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),
                parent TEXT,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (namespace, snapshotter, key),
                UNIQUE (snapshotter, backend_id)
            );
            CREATE INDEX snapshots_by_parent ON snapshots(namespace, snapshotter, parent);
            CREATE TABLE snapshot_ids (
                snapshotter TEXT PRIMARY KEY NOT NULL,
                next_id INTEGER NOT NULL
            );
            CREATE TABLE containers (
                namespace TEXT NOT NULL REFERENCES namespaces(name),
                id TEXT NOT NULL,
                image TEXT NOT NULL DEFAULT '',
                runtime TEXT NOT NULL DEFAULT 'berth',
                snapshotter TEXT NOT NULL DEFAULT '',
                snapshot_key TEXT NOT NULL DEFAULT '',
                spec BLOB,
                labels TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (namespace, id)
            );
            """)
        }
        // Container records name their image normalised, as image records do (`busybox` is
        // docker.io/library/busybox:latest): garbage collection matches the two, and a record
        // that kept the name as typed left its image unprotected.
        m.registerMigration("v2") { db in
            for row in try Row.fetchAll(db, sql: "SELECT namespace, id, image FROM containers WHERE image != ''") {
                let image: String = row["image"]
                guard let normalized = try? Reference.normalize(image), normalized != image else { continue }
                try db.execute(sql: "UPDATE containers SET image = ? WHERE namespace = ? AND id = ?",
                               arguments: [normalized, row["namespace"], row["id"]])
            }
        }
        return m
    }
}
