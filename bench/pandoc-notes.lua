-- Page-bottom notes for pandoc's HTML: each note stays where it is called, as a span that the
-- stylesheet floats to the foot of the page (as docbuild does), instead of a list at the end.
function Note(note)
  return pandoc.Span(pandoc.utils.blocks_to_inlines(note.content), {class = "page-note"})
end
