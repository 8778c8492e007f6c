/// One cell of the emulated terminal as libvterm reports it, in plain values.
public struct TermCell: Equatable, Sendable {
    /// Unicode scalars of the cell (a base character and combining marks); empty for blank.
    public var chars: [UInt32]
    /// 1, or 2 for the first half of a wide character (the second half reports width 0... and
    /// no chars, and is skipped).
    public var width: Int
    /// 1 bold, 2 underline, 4 italic, 8 blink, 16 reverse, 32 strike (see CVterm's shim).
    public var flags: UInt32
    /// -1 default, 0...255 palette index, 0x1000000 | 0xRRGGBB for direct colour.
    public var fg: Int
    public var bg: Int

    public init(chars: [UInt32], width: Int = 1, flags: UInt32 = 0, fg: Int = -1, bg: Int = -1) {
        self.chars = chars; self.width = width; self.flags = flags; self.fg = fg; self.bg = bg
    }
}

/// A cell ready for ncurses: characters, attributes and the colours this terminal can show.
public struct CursesCell: Equatable, Sendable {
    public var chars: [UInt32]
    public var bold = false
    public var underline = false
    public var reverse = false
    public var italic = false
    public var blink = false
    public var fg: Int
    public var bg: Int
}

/// Maps emulator cells to ncurses cells for a terminal with `colors` colours (0 when colour
/// is off, as under NO_COLOR: then only the attributes remain).
public enum CellMapper {
    public static func map(_ c: TermCell, colors: Int) -> CursesCell {
        var out = CursesCell(chars: c.chars.isEmpty ? [0x20] : c.chars, fg: -1, bg: -1)
        out.bold = c.flags & 1 != 0
        out.underline = c.flags & 2 != 0
        out.italic = c.flags & 4 != 0
        out.blink = c.flags & 8 != 0
        out.reverse = c.flags & 16 != 0
        guard colors > 0 else { return out }
        out.fg = reduce(c.fg, colors: colors)
        out.bg = reduce(c.bg, colors: colors)
        // On 8 colours a bright foreground is shown as the base colour in bold, as xterm did.
        if colors < 16, c.fg >= 8, c.fg < 16 { out.bold = true }
        return out
    }

    static func reduce(_ c: Int, colors: Int) -> Int {
        if c < 0 { return -1 }
        let idx = c & 0x1000000 != 0 ? Palette.index(red: (c >> 16) & 0xff, green: (c >> 8) & 0xff, blue: c & 0xff) : c
        return Palette.reduce(idx, colors: colors)
    }
}
