/// A rectangle of terminal cells.
public struct Rect: Equatable, Sendable {
    public var y: Int, x: Int, h: Int, w: Int
    public init(y: Int, x: Int, h: Int, w: Int) { self.y = y; self.x = x; self.h = h; self.w = w }
    public func contains(y py: Int, x px: Int) -> Bool { py >= y && py < y + h && px >= x && px < x + w }
    /// The inside of a one-cell border.
    public var inner: Rect { Rect(y: y + 1, x: x + 1, h: max(0, h - 2), w: max(0, w - 2)) }
}

/// The panes, in Tab order.
public enum Pane: Int, CaseIterable, Sendable {
    case namespaces, images, snapshots, tasks, details, console

    public var title: String {
        switch self {
        case .namespaces: "Namespaces"
        case .images: "Images"
        case .snapshots: "Snapshots"
        case .tasks: "Tasks"
        case .details: "Details"
        case .console: "Console"
        }
    }

    public var isList: Bool { self != .details && self != .console }
}

/// Where everything goes on a screen of `rows` x `cols`: a title line, the list panes stacked
/// on the left, details above the console on the right, then a status line and a hint bar.
public struct Layout: Equatable, Sendable {
    public static let minRows = 16
    public static let minCols = 60

    public var rows: Int
    public var cols: Int
    public var title: Rect
    public var status: Rect
    public var hints: Rect
    public var panes: [Pane: Rect]

    public var tooSmall: Bool { rows < Self.minRows || cols < Self.minCols }

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        title = Rect(y: 0, x: 0, h: 1, w: cols)
        status = Rect(y: max(0, rows - 2), x: 0, h: 1, w: cols)
        hints = Rect(y: max(0, rows - 1), x: 0, h: 1, w: cols)
        panes = [:]
        let bodyY = 1
        let bodyH = max(0, rows - 3)
        let leftW = max(28, min(cols / 2, cols * 2 / 5))
        let rightW = max(0, cols - leftW)
        let nsH = max(3, min(6, bodyH / 5))
        let rest = max(0, bodyH - nsH)
        let each = rest / 3
        panes[.namespaces] = Rect(y: bodyY, x: 0, h: nsH, w: leftW)
        panes[.images] = Rect(y: bodyY + nsH, x: 0, h: each, w: leftW)
        panes[.snapshots] = Rect(y: bodyY + nsH + each, x: 0, h: each, w: leftW)
        panes[.tasks] = Rect(y: bodyY + nsH + 2 * each, x: 0, h: rest - 2 * each, w: leftW)
        let detailsH = max(5, bodyH * 2 / 5)
        panes[.details] = Rect(y: bodyY, x: leftW, h: detailsH, w: rightW)
        panes[.console] = Rect(y: bodyY + detailsH, x: leftW, h: max(0, bodyH - detailsH), w: rightW)
    }

    public subscript(p: Pane) -> Rect { panes[p] ?? Rect(y: 0, x: 0, h: 0, w: 0) }

    /// The size the task's pty gets while shown in the console pane.
    public var consoleSize: (rows: Int, cols: Int) {
        let r = self[.console].inner
        return (max(1, r.h), max(1, r.w))
    }

    public func pane(atY y: Int, x: Int) -> Pane? {
        Pane.allCases.first { self[$0].contains(y: y, x: x) }
    }
}

/// Selection and scrolling of one list of `count` rows shown `height` rows at a time.
public struct ListCursor: Equatable, Sendable {
    public var selected = 0
    public var top = 0
    public init() {}

    public mutating func clamp(count: Int, height: Int) {
        selected = count == 0 ? 0 : min(max(0, selected), count - 1)
        let h = max(1, height)
        if selected < top { top = selected }
        if selected >= top + h { top = selected - h + 1 }
        top = max(0, min(top, max(0, count - h)))
    }

    public mutating func move(by delta: Int, count: Int, height: Int) {
        selected += delta
        clamp(count: count, height: height)
    }

    public mutating func jump(to index: Int, count: Int, height: Int) {
        selected = index
        clamp(count: count, height: height)
    }
}
