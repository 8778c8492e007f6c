import BerthCore
import CNcurses
import CVterm

/// The ncurses front end. It drives the core through BerthCore's public API only.
public enum BerthUI {}
