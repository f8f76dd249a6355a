"""The exception for errors a user can cause (a missing file, a bad option value).

The CLI prints its message as one line on stderr and exits with code 2, so the
message names the file or option and says what to do.

>>> str(UserError("cannot read 'x.kiss': no such file"))
"cannot read 'x.kiss': no such file"
"""


class UserError(Exception):
    """Bad input from the user; the message is shown as it is."""
