{{ config(
    severity='error',
    meta={
        'gate': 'canonical_markers',
        'principle': 'Q2.2, V3.1',
        'standard': '6, 9',
        'rationale': 'A canonical marker must mean the same thing whichever token it came from: '
                     'it either always replaces the figure or always annotates it.',
    },
) }}

-- Each canonical code is either always publishable or never, whichever source and token it came from.
select canonical_code, list(distinct is_publishable) as publishable_values
from {{ ref('marker_vocabulary') }}
where canonical_code is not null
group by canonical_code
having count(distinct is_publishable) > 1
