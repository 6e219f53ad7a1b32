"""One aiogram Router per role: parse input, call core, render the reply."""
