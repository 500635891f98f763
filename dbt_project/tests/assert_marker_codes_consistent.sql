{{ config(meta={'gate': 'canonical_markers'}) }}

-- Each canonical code is either always publishable or never, whichever source and token it came from.
select canonical_code, list(distinct is_publishable) as publishable_values
from {{ ref('marker_vocabulary') }}
where canonical_code is not null
group by canonical_code
having count(distinct is_publishable) > 1
