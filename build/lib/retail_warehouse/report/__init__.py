"""The dashboard report: one self-contained HTML file (inline SVG charts) from the marts.

``data`` queries the warehouse (portable SQL, plain rows), ``charts`` draws SVG, ``commentary``
writes the management sentences, ``sections`` and ``page`` assemble the page, ``build`` ties
them together for the ``retail-warehouse report`` command.
"""
