import Testing
@testable import BerthSnapshots
