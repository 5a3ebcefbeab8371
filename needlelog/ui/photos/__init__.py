"""Clinical photographs in the window: the record's strip, a session's view slots, the
import-folder inbox, the before/after comparison and its landmarks."""
