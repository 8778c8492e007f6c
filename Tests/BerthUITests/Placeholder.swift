import Testing
@testable import BerthUI
