/// Colour arithmetic: xterm's 256-colour palette, reduction to what the terminal has.
/// Colours are ints: -1 the terminal's default, 0...255 palette indexes.
public enum Palette {
    /// The RGB value xterm gives palette index `i`.
    public static func rgb(_ i: Int) -> (Int, Int, Int) {
        switch i {
        case 0..<16:
            let basic: [(Int, Int, Int)] = [
                (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
                (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
            ]
            return basic[i]
        case 16..<232:
            let n = i - 16
            let level = [0, 95, 135, 175, 215, 255]
            return (level[n / 36], level[(n / 6) % 6], level[n % 6])
        default:
            let g = 8 + 10 * (i - 232)
            return (g, g, g)
        }
    }

    /// The nearest 256-palette index to an RGB colour (cube or grey ramp).
    public static func index(red r: Int, green g: Int, blue b: Int) -> Int {
        func level(_ v: Int) -> Int { v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40 }
        let cube = 16 + 36 * level(r) + 6 * level(g) + level(b)
        let avg = (r + g + b) / 3
        let grey = avg > 238 ? 255 : 232 + max(0, (avg - 3) / 10)
        return distance(rgb(cube), (r, g, b)) <= distance(rgb(min(grey, 255)), (r, g, b)) ? cube : min(grey, 255)
    }

    /// Maps a colour to one the terminal can show when it has `colors` colours.
    public static func reduce(_ c: Int, colors: Int) -> Int {
        if c < 0 || c < colors { return c }
        if colors >= 16 {
            return nearest(c, among: 0..<16)
        }
        if c < 16 { return c - 8 }
        return nearest(c, among: 0..<min(max(colors, 1), 8))
    }

    private static func nearest(_ c: Int, among range: Range<Int>) -> Int {
        let target = rgb(c)
        // The bright variants are the better match targets for vivid colours; map back to 0...7.
        var best = range.lowerBound, bestD = Int.max
        for i in range {
            let d = min(distance(rgb(i), target), range.count <= 8 && i + 8 < 16 ? distance(rgb(i + 8), target) : Int.max)
            if d < bestD { bestD = d; best = i }
        }
        return best
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return 3 * dr * dr + 4 * dg * dg + 2 * db * db
    }
}
