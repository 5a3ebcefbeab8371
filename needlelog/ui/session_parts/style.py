"""How the session form looks: one style sheet for the form and its sections."""

STYLE = """
#formHeader { background: #f4f8f9; border-bottom: 1px solid #d5e2e6; }
#patientName { font-size: 17px; font-weight: 600; color: #16323a; }
#patientLine, #hint { color: #5b6b70; }
#sectionTitle { font-size: 15px; font-weight: 600; color: #0e5f73;
                padding-top: 14px; border-bottom: 1px solid #d5e2e6; padding-bottom: 4px; }
#columnHeader { color: #5b6b70; font-size: 11px; font-weight: 600; }
#fieldError { color: #b3261e; }
#errorBanner { background: #fdecea; border: 1px solid #f3b5ae; border-radius: 4px; }
#errorBanner QLabel { color: #8c1d18; }
#blockedNote { color: #b3261e; }
#avoidTag { color: #ffffff; background: #b3261e; border-radius: 3px; padding: 1px 6px;
            font-size: 11px; font-weight: 600; }
#cautionTag { color: #5c3d00; background: #ffd98a; border-radius: 3px; padding: 1px 6px;
              font-size: 11px; font-weight: 600; }
#screeningAlert { background: #fff6e0; border: 1px solid #f0d28c; border-radius: 4px; }
#formContent { background: #ffffff; }
#steps { border: none; border-right: 1px solid #d5e2e6; background: #f4f8f9; font-size: 13px; }
#steps::item { padding: 7px 10px; }
#steps::item:selected { background: #dcebef; color: #0e5f73; }
"""
