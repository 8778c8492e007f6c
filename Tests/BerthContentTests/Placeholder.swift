import Testing
@testable import BerthContent
